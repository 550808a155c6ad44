"""Trust-policy analysis (pure): who may assume a role, and does the trust policy enforce the External ID.

```python
analysis = analyze_trust_policy(document, external_id_configured=True,
                                 management_account_id="111122223333")
analysis.secure, analysis.reason, analysis.message, analysis.to_status()
```

See docs/trust-findings.md for every finding code.
"""

from awsip.trust.analysis import analyze_trust_policy
from awsip.trust.severities import SEVERITIES
from awsip.trust.verdict import TrustAnalysis

__all__ = ["SEVERITIES", "TrustAnalysis", "analyze_trust_policy"]
