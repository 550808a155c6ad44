"""Tenancy (pure): which namespaces may use which AWS accounts and role ARNs.

```python
rules = parse_tenancy_rules(configmap_data["rules.yaml"])   # TenancyConfigError on bad input
decision = rules.permits("team-a", {"team": "a"}, "arn:aws:iam::111122223333:role/capa")
decision.allowed, decision.rule, decision.message
```

See docs/tenancy.md.
"""

from awsip.tenancy.label_selectors import LabelSelector, LabelSelectorRequirement
from awsip.tenancy.loading import TenancyConfigError, parse_tenancy_rules
from awsip.tenancy.rules import TenancyDecision, TenancyRules
from awsip.tenancy.schema import TenancyRule

__all__ = [
    "LabelSelector",
    "LabelSelectorRequirement",
    "TenancyConfigError",
    "TenancyDecision",
    "TenancyRule",
    "TenancyRules",
    "parse_tenancy_rules",
]
