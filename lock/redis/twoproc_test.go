package redis_test

func runChild() int { return 0 }

const childEnv = "BATON_REDIS_TEST_CHILD"
