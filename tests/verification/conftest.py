from tests.aws.moto_fixtures import moto_server, sandbox

__all__ = ["moto_server", "sandbox"]
