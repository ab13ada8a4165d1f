// One scenario at a time across classes too: each class's fixture is a whole chassis (appliance, tgtd, PostgreSQL), and
// TCG blades share two cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
