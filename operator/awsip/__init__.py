"""awsip: verify AWS infrastructure-provider roles from Kubernetes.

The core library (``awsip.api``, ``awsip.policy``, ``awsip.profiles``, ``awsip.aws``,
``awsip.status``) never imports Kopf; the operator (``awsip.controller``) and the
command line (``awsip.cli``) are thin adapters over it.
"""

__version__ = "0.1.0"
