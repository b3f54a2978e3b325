"""Decision engine: versioned, explainable, replayable credit policies.

Three layers, as in GoRules zen: the policy *document* (pure data, :mod:`.document`), the
*expression* language that never imports the engine (:mod:`.expression`), and the *engine*
that compiles and walks the flow (:mod:`.compiler`, :mod:`.steps`, :mod:`.engine`). Policies
come through loaders (file, memory, store).
"""

from zhudai.decision.backtest import BacktestReport, backtest
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
from zhudai.decision.replay import ReplayReport, replay
from zhudai.decision.service import DecisionService, Experiment, bucket
from zhudai.decision.source import PolicySource, read_policy_file, read_source
from zhudai.decision.tables import DecisionTable
from zhudai.decision.testing import PolicyTestReport, run_policy_tests
from zhudai.decision.versions import PolicyInfo, PolicyStore

__all__ = [
    "BacktestReport",
    "CompiledPolicy",
    "Decision",
    "DecisionService",
    "DecisionTable",
    "EvaluationError",
    "Experiment",
    "Expression",
    "FilePolicyLoader",
    "HitPolicy",
    "MemoryPolicyLoader",
    "Outcome",
    "PinnedModel",
    "PolicyDocument",
    "PolicyInfo",
    "PolicySource",
    "PolicyStore",
    "PolicyTestReport",
    "RegistryModelLoader",
    "ReplayReport",
    "VarType",
    "backtest",
    "bucket",
    "compile_expression",
    "compile_policy",
    "read_policy_file",
    "read_source",
    "replay",
    "run_policy_tests",
    "shipped_policy_files",
]
