 ${served:+"webAppImage=$served"}
