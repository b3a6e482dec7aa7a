package scenario

// RunSection is the critical section every fight's workers run.
var RunSection = runSection
