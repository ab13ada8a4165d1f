using BladeProvisioner.Testing;

[assembly: AssemblyFixture(typeof(PostgresServer))]
