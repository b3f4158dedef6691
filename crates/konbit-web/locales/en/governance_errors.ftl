# Governance: why a proposal or a ballot was refused (API problems and panel errors).
error-wrong-stage = This proposal is not at the stage where this can be done.
error-text-frozen = The text is frozen since the vote opened: it can no longer be changed.
error-vote-not-open = The vote on this proposal has not opened yet.
error-vote-closed = The vote is closed: this ballot was not counted.
error-stale-text = The text was changed since you read it: read the current text and vote again.
error-not-in-electorate = You are not among the voters of this vote (the electorate was fixed when the vote opened).
error-invalid-ballot = This ballot does not fit the vote (an unknown option, or one given twice).
error-apply-failed = Carrying out this decision failed again: its cause is still there.
