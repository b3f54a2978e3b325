"""The append-only audit log: every write the platform serves leaves one hash-chained entry,
in the same transaction as the write; ``zhudai audit verify`` finds the first entry that was
edited, deleted or moved."""

from zhudai.audit.chain import GENESIS, AuditLog, ChainReport

__all__ = ["GENESIS", "AuditLog", "ChainReport"]
