"""`tinyflash tune`: the most accurate model that fits a chip's flash, RAM and time budget.

    space.py     the search space (a default per data shape, or a TOML file) -> TrainConfig
    budget.py    the constraints (--flash 32K --ram 8K ...), sizes parsed, the space's minimum
    measure.py   one trial: train, int8 export, C header, flash / arena / instructions
    study.py     the Optuna study: storage (SQLite file or a database URL), workers, Ctrl-C
    report.py    the Pareto front as a table, plots, report.html, best.toml

Optuna, SQLAlchemy and psycopg2 load only inside `tinyflash tune` (the `tune` extra).
"""
