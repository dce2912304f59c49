// Keeps the ExperimentHarnessTests target buildable until the harness has tests.
