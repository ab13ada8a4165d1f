using System.Reflection;
using Microsoft.Extensions.Logging;

namespace BladeProvisioner.Appliance.Tests;

/// <summary>
/// Every <c>[LoggerMessage]</c> event id is unique across all of the appliance's assemblies, so that a log query on an
/// id finds one kind of message. The ids are found by reflection, whichever module's …EventIds class they come from.
/// </summary>
public sealed class EventIdTests
{
    [Fact]
    public void LoggerMessageEventIdsAreUniqueAcrossAllAssemblies()
    {
        var messages = ApplianceAssemblies().SelectMany(LoggerMessages).ToList();

        // The appliance logs through source-generated messages in every module: finding none means the scan is broken.
        Assert.True(messages.Count > 50, $"only {messages.Count} [LoggerMessage] methods found");
        Assert.Contains(messages, m => m.Where.StartsWith("BladeProvisioner.Jobs", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Where.StartsWith("BladeProvisioner.Dhcp", StringComparison.Ordinal));

        var collisions = messages
            .GroupBy(m => m.EventId)
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Where))}")
            .ToList();
        Assert.True(collisions.Count == 0, "event ids used more than once:\n" + string.Join('\n', collisions));
    }

    [Fact]
    public void EveryLoggerMessageNamesItsEventId()
    {
        var unnumbered = ApplianceAssemblies().SelectMany(LoggerMessages).Where(m => m.EventId <= 0).Select(m => m.Where).ToList();
        Assert.True(unnumbered.Count == 0, "[LoggerMessage] without an event id: " + string.Join(", ", unnumbered));
    }

    /// <summary>The product's assemblies beside the appliance (the test assemblies and their helpers excluded).</summary>
    private static IEnumerable<Assembly> ApplianceAssemblies()
    {
        var directory = Path.GetDirectoryName(typeof(Program).Assembly.Location)!;
        return Directory.GetFiles(directory, "BladeProvisioner.*.dll")
            .Select(Path.GetFileNameWithoutExtension)
            .Where(name => name is not null && !name.EndsWith(".Tests", StringComparison.Ordinal) && name != "BladeProvisioner.Testing")
            .Order(StringComparer.Ordinal)
            .Select(name => Assembly.Load(new AssemblyName(name!)));
    }

    private static IEnumerable<(int EventId, string Where)> LoggerMessages(Assembly assembly)
    {
        const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;
        foreach (var type in assembly.GetTypes())
        {
            foreach (var method in type.GetMethods(All))
            {
                if (method.GetCustomAttribute<LoggerMessageAttribute>() is { } message)
                {
                    yield return (message.EventId, $"{type.FullName}.{method.Name}");
                }
            }
        }
    }
}
