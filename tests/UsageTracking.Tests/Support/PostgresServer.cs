using UsageTracking.Testing;

namespace UsageTracking.Tests.Support;

/// <summary>The throwaway PostgreSQL cluster as an xunit fixture shared by every PostgreSQL test class.</summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private readonly PostgresCluster _cluster = new();

    public int Port => _cluster.Port;

    public string ConnectionString => _cluster.ConnectionString;

    public Task InitializeAsync() => _cluster.StartAsync();

    public Task DisposeAsync() => _cluster.DisposeAsync().AsTask();

    /// <summary>Starts the server again after <see cref="Kill"/>.</summary>
    public void Start() => _cluster.Start();

    /// <summary>Kills the server as a crash would.</summary>
    public void Kill() => _cluster.Kill();
}

/// <summary>Every PostgreSQL test class shares one server.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL server";
}
