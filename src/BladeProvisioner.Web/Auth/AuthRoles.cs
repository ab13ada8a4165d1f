namespace BladeProvisioner.Web.Auth;

/// <summary>The two roles and the authorization policies built on them.</summary>
public static class AuthRoles
{
    /// <summary>Everything, including images, users and tokens.</summary>
    public const string Admin = "admin";

    /// <summary>Read everything; provision, restart and decommission blades.</summary>
    public const string Operator = "operator";

    /// <summary>Policy: any signed-in user (both roles read).</summary>
    public const string ReadPolicy = "bp.read";

    /// <summary>Policy: provision, restart, decommission (operator or admin).</summary>
    public const string OperatePolicy = "bp.operate";

    /// <summary>Policy: admin only.</summary>
    public const string AdminPolicy = "bp.admin";

    public static bool IsValid(string? role) => role is Admin or Operator;
}
