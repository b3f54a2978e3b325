"""Decision engine: versioned, explainable, replayable credit policies.

Three layers, as in GoRules zen: the policy *document* (pure data, :mod:`.document`), the
*expression* language that never imports the engine (:mod:`.expression`), and the *engine*
that compiles and walks the flow (:mod:`.compiler`, :mod:`.steps`, :mod:`.engine`). Policies
come through loaders (file, memory, store).
"""

from zhudai.decision.document import HitPolicy, Outcome, PolicyDocument
from zhudai.decision.engine import CompiledPolicy, Decision, compile_policy
from zhudai.decision.expression import EvaluationError, Expression, VarType, compile_expression
from zhudai.decision.loaders import (
    FilePolicyLoader,
    MemoryPolicyLoader,
    PinnedModel,
    RegistryModelLoader,
    shipped_policy_files,
)
from zhudai.decision.source import PolicySource, read_policy_file, read_source
from zhudai.decision.tables import DecisionTable
from zhudai.decision.testing import PolicyTestReport, run_policy_tests

__all__ = [
    "CompiledPolicy",
    "Decision",
    "DecisionTable",
    "EvaluationError",
    "Expression",
    "FilePolicyLoader",
    "HitPolicy",
    "MemoryPolicyLoader",
    "Outcome",
    "PinnedModel",
    "PolicyDocument",
    "PolicySource",
    "PolicyTestReport",
    "RegistryModelLoader",
    "VarType",
    "compile_expression",
    "compile_policy",
    "read_policy_file",
    "read_source",
    "run_policy_tests",
    "shipped_policy_files",
]
