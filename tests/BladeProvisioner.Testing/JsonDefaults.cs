using System.Text.Json;
using System.Text.Json.Serialization;

namespace BladeProvisioner.Testing;

/// <summary>JSON as the appliance's API writes it: camelCase, enums by name.</summary>
public static class JsonDefaults
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
}
