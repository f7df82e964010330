"""`parity doctor`: can parity reach and use each environment?"""

from parity.doctor.checks import Check, EnvironmentReport, check_environment

__all__ = ["Check", "EnvironmentReport", "check_environment"]
