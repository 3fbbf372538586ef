# Trains a linear model of weight on height and saves it (model.rds) with its metrics (metrics.json).
#
#   Rscript <package>/training/R/r_train.r --data data/weight_data.csv --output outputs/r
#
# Base R only, so the same script runs locally, on Azure ML compute and on Databricks.

args <- commandArgs(trailingOnly = TRUE)

option <- function(name) {
  index <- match(name, args)
  if (is.na(index) || index == length(args)) {
    stop(paste("missing option", name, "(usage: r_train.r --data CSV --output DIR)"), call. = FALSE)
  }
  args[[index + 1]]
}

data <- read.csv(option("--data"))
output <- option("--output")
dir.create(output, recursive = TRUE, showWarnings = FALSE)

model <- lm(weight ~ height, data = data)
rmse <- sqrt(mean(residuals(model)^2))

saveRDS(model, file.path(output, "model.rds"))
writeLines(sprintf('{"rmse": %.6f, "rows": %d}', rmse, nrow(data)), file.path(output, "metrics.json"))
cat(sprintf(
  "Trained lm(weight ~ height) on %d rows: rmse %.3f; model saved to %s\n",
  nrow(data), rmse, file.path(output, "model.rds")
))
