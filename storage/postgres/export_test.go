package postgres

// CompleteLoginOnce exposes the one-statement path of CompleteLogin.
var CompleteLoginOnce = (*Store).completeLoginOnce
