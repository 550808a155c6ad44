"""The global condition keys: the keys every service may see, whatever the action.

The Service Authorization Reference lists each service's own keys; the global ones are documented
only in the IAM User Guide ("AWS global condition context keys"), so no data package carries them
and they are listed here, with the type the guide gives. Three tag keys are global in name only:
they are in the request context only where the service supports them (``per_service``), so the
catalog accepts them for an action only when the action or its resource types list them.

A key missing here but real would only produce an info-level ``UnsupportedConditionKey`` finding;
it never changes a coverage verdict.
"""

from __future__ import annotations

#: (key as documented, type, per_service). Types as in the Service Authorization Reference:
#: String, ARN, Bool, Date, Numeric, IPAddress, and ArrayOf... for multivalued keys.
GLOBAL_CONDITION_KEYS: tuple[tuple[str, str, bool], ...] = (
    # Properties of the principal
    ("aws:PrincipalArn", "ARN", False),
    ("aws:PrincipalAccount", "String", False),
    ("aws:PrincipalOrgPaths", "ArrayOfString", False),
    ("aws:PrincipalOrgID", "String", False),
    ("aws:PrincipalTag/${TagKey}", "String", False),
    ("aws:PrincipalIsAWSService", "Bool", False),
    ("aws:PrincipalServiceName", "String", False),
    ("aws:PrincipalServiceNamesList", "ArrayOfString", False),
    ("aws:PrincipalType", "String", False),
    ("aws:userid", "String", False),
    ("aws:username", "String", False),
    # Properties of the role session
    ("aws:AssumedRoot", "String", False),
    ("aws:FederatedProvider", "String", False),
    ("aws:TokenIssueTime", "Date", False),
    ("aws:MultiFactorAuthAge", "Numeric", False),
    ("aws:MultiFactorAuthPresent", "Bool", False),
    ("aws:ChatbotSourceArn", "ARN", False),
    ("aws:Ec2InstanceSourceVpc", "String", False),
    ("aws:Ec2InstanceSourcePrivateIPv4", "IPAddress", False),
    ("aws:SourceIdentity", "String", False),
    ("ec2:RoleDelivery", "Numeric", False),
    ("ec2:SourceInstanceArn", "ARN", False),
    ("glue:RoleAssumedBy", "String", False),
    ("glue:CredentialIssuingService", "String", False),
    ("lambda:SourceFunctionArn", "ARN", False),
    ("ssm:SourceInstanceArn", "ARN", False),
    ("identitystore:UserId", "String", False),
    # Properties of the network
    ("aws:SourceIp", "IPAddress", False),
    ("aws:SourceVpc", "String", False),
    ("aws:SourceVpcArn", "ARN", False),
    ("aws:SourceVpce", "String", False),
    ("aws:VpcSourceIp", "IPAddress", False),
    ("aws:VpceAccount", "String", False),
    ("aws:VpceOrgID", "String", False),
    ("aws:VpceOrgPaths", "ArrayOfString", False),
    # Properties of the resource
    ("aws:ResourceAccount", "String", False),
    ("aws:ResourceOrgID", "String", False),
    ("aws:ResourceOrgPaths", "ArrayOfString", False),
    ("aws:ResourceTag/${TagKey}", "String", True),
    # Properties of the request
    ("aws:CalledVia", "ArrayOfString", False),
    ("aws:CalledViaFirst", "String", False),
    ("aws:CalledViaLast", "String", False),
    ("aws:ViaAWSService", "Bool", False),
    ("aws:CurrentTime", "Date", False),
    ("aws:EpochTime", "Date", False),
    ("aws:referer", "String", False),
    ("aws:RequestedRegion", "String", False),
    ("aws:RequestTag/${TagKey}", "String", True),
    ("aws:TagKeys", "ArrayOfString", True),
    ("aws:SecureTransport", "Bool", False),
    ("aws:SourceAccount", "String", False),
    ("aws:SourceArn", "ARN", False),
    ("aws:SourceOrgID", "String", False),
    ("aws:SourceOrgPaths", "ArrayOfString", False),
    ("aws:UserAgent", "String", False),
)
