"""`parity replace --env`: search-replace inside a live database, safely, in place."""

from parity.replace.database import ReplaceResult, TablePlan, plan_tables, replace_in_database

__all__ = ["ReplaceResult", "TablePlan", "plan_tables", "replace_in_database"]
