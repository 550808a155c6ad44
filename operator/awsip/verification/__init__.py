"""One verification of one provider, and the contract the controller uses.

```python
aws = AwsServices.from_environment(calls_per_second=10, session_tags=False)   # once per process
result = verify(ProviderRef(namespace, name), spec, aws=aws, inputs=inputs)  # blocking; in a thread pool
result.transient                                                              # retry soon, with backoff
```

``inputs`` implements :class:`ProviderInputs` (Secret and ConfigMap reads in the provider's
namespace) and raises :class:`InputNotFoundError` / :class:`InputUnavailableError`.
"""

from awsip.aws.services import AwsServices
from awsip.verification.inputs import (
    InputNotFoundError,
    InputUnavailableError,
    ProviderInputs,
    ProviderRef,
)
from awsip.verification.outcome import Check, VerificationResult
from awsip.verification.verify import verify

__all__ = [
    "AwsServices",
    "Check",
    "InputNotFoundError",
    "InputUnavailableError",
    "ProviderInputs",
    "ProviderRef",
    "VerificationResult",
    "verify",
]
