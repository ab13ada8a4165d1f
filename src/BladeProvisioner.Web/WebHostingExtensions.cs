using System.Text.Json.Serialization;
using BladeProvisioner.Core.Errors;
using BladeProvisioner.Web.Api;
using BladeProvisioner.Web.Auth;
using BladeProvisioner.Web.Errors;
using BladeProvisioner.Web.Uploads;
using Microsoft.AspNetCore.Authorization;

namespace BladeProvisioner.Web;

public static class WebHostingExtensions
{
    /// <summary>The REST API's services: ProblemDetails with stable codes, JSON with enum names, the OpenAPI document.</summary>
    public static IHostApplicationBuilder AddWebApi(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
        {
            // Framework-made problems (404 on unknown routes, 405, 415) get a code too.
            ctx.ProblemDetails.Extensions.TryAdd("code", ctx.ProblemDetails.Status switch
            {
                400 => ErrorCodes.ValidationFailed,
                404 => ErrorCodes.NotFound,
                405 => ErrorCodes.MethodNotAllowed,
                415 => ErrorCodes.UnsupportedMediaType,
                _ => "HTTP_" + ctx.ProblemDetails.Status,
            });
        });
        builder.Services.AddExceptionHandler<ApiExceptionHandler>();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        builder.Services.AddOpenApi();
        builder.Services.AddSingleton<UploadStore>();
        return builder;
    }

    /// <summary>Maps <c>/api/…</c> and <c>/openapi/v1.json</c>.</summary>
    public static RouteGroupBuilder MapApplianceApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapOpenApi();
        var api = endpoints.MapGroup("/api");
        BladesApi.Map(api);
        BladeActionsApi.Map(api);
        ImagesApi.Map(api);
        VolumesApi.Map(api);
        JobsApi.Map(api);
        EventsApi.Map(api);
        UploadsApi.Map(api);
        AccountsApi.Map(api);
        SessionsApi.Map(api);
        ZeroTouchApi.Map(api);

        // Reads are open to every signed-in user; writes are admin-only unless the endpoint names its own policy.
        ((IEndpointConventionBuilder)api).Finally(endpoint =>
        {
            if (endpoint.Metadata.OfType<IAuthorizeData>().Any())
            {
                return;
            }

            var methods = endpoint.Metadata.OfType<HttpMethodMetadata>().FirstOrDefault()?.HttpMethods ?? [];
            var readOnly = methods.Count > 0 && methods.All(m => m is "GET" or "HEAD");
            endpoint.Metadata.Add(new AuthorizeAttribute(readOnly ? AuthRoles.ReadPolicy : AuthRoles.AdminPolicy));
        });
        return api;
    }
}
