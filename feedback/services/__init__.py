"""Business logic. Each public function owns its transaction: one commit, rollback on error."""
