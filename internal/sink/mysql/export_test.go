package mysql

// LockName exposes the GET_LOCK name of a pipeline to the tests.
var LockName = lockName
