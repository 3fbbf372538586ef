from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    path: str  # relative to the project root
    line: int | None  # 1-based, None when it is about the whole file
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"
