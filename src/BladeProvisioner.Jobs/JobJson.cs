using System.Text.Json;

namespace BladeProvisioner.Jobs;

internal static class JobJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
