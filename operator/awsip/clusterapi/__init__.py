"""Cluster API Provider AWS (CAPA): the role identity awsip keeps for a verified provider (pure).

:mod:`awsip.clusterapi.role_identity` decides what the ``AWSClusterRoleIdentity`` should be and
which writes bring it there; the controller (:mod:`awsip.controller.cluster_identities`) reads and
writes the objects, and :mod:`awsip.status.identity_condition` turns the outcome into the
``ClusterIdentityReady`` condition. docs/cluster-api.md says what users see.
"""
