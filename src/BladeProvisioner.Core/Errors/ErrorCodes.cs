namespace BladeProvisioner.Core.Errors;

/// <summary>Stable error codes. Clients match on these; never rename one.</summary>
public static class ErrorCodes
{
    public const string Internal = "INTERNAL_ERROR";
    public const string ValidationFailed = "VALIDATION_FAILED";
    public const string InvalidSshKey = "INVALID_SSH_KEY";
    public const string InvalidUserData = "INVALID_USER_DATA";

    /// <summary>A list's <c>limit</c>, <c>offset</c> or cursor is not a number in range.</summary>
    public const string InvalidPage = "INVALID_PAGE";
    public const string NotReady = "APPLIANCE_NOT_READY";

    // Framework-made problems (unknown route, wrong method, wrong content type) get a code too.
    public const string NotFound = "NOT_FOUND";
    public const string MethodNotAllowed = "METHOD_NOT_ALLOWED";
    public const string UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE";

    public const string AuthRequired = "AUTH_REQUIRED";
    public const string CsrfFailed = "CSRF_FAILED";
    public const string UserNotFound = "USER_NOT_FOUND";
    public const string TokenNotFound = "TOKEN_NOT_FOUND";

    public const string BladeNotFound = "BLADE_NOT_FOUND";
    public const string BladeExists = "BLADE_EXISTS";
    public const string IllegalTransition = "ILLEGAL_STATE_TRANSITION";
    public const string DuplicateMac = "DUPLICATE_MAC";
    public const string DuplicateIqn = "DUPLICATE_IQN";
    public const string InvalidMac = "INVALID_MAC";
    public const string InvalidIqn = "INVALID_IQN";

    public const string ImageNotFound = "IMAGE_NOT_FOUND";
    public const string ImageNotActive = "IMAGE_NOT_ACTIVE";
    public const string ImageInUse = "IMAGE_IN_USE";
    public const string ImageSourceMissing = "IMAGE_SOURCE_MISSING";
    public const string ImageFormatUnsupported = "IMAGE_FORMAT_UNSUPPORTED";
    public const string ImageIllegalState = "IMAGE_ILLEGAL_STATE";
    public const string ImagePlatformMismatch = "IMAGE_PLATFORM_MISMATCH";
    public const string DonorChecksumMismatch = "DONOR_CHECKSUM_MISMATCH";
    public const string PersonalizationFailed = "PERSONALIZATION_FAILED";
    public const string ImageExternalReference = "IMAGE_EXTERNAL_REFERENCE";

    public const string UploadNotFound = "UPLOAD_NOT_FOUND";
    public const string UploadTooLong = "UPLOAD_TOO_LONG";
    public const string UploadOffsetMismatch = "UPLOAD_OFFSET_MISMATCH";
    public const string UploadIncomplete = "UPLOAD_INCOMPLETE";

    public const string ZeroTouchRuleNotFound = "ZERO_TOUCH_RULE_NOT_FOUND";
    public const string ZeroTouchRuleExists = "ZERO_TOUCH_RULE_EXISTS";

    public const string VolumeNotFound = "VOLUME_NOT_FOUND";
    public const string VolumeExists = "VOLUME_EXISTS";
    public const string VolumeTooSmall = "VOLUME_TOO_SMALL";
    public const string VolumeNotExported = "VOLUME_NOT_EXPORTED";

    /// <summary>A clone, import, capture or upload would take space a filesystem keeps in reserve (HTTP 507); nothing was made.</summary>
    public const string InsufficientStorage = "INSUFFICIENT_STORAGE";

    public const string ProvisioningFailed = "PROVISIONING_FAILED";
    public const string CloneStillRunning = "CLONE_STILL_RUNNING";
    public const string PowerOffFailed = "POWER_OFF_FAILED";
    public const string DecommissionFailed = "DECOMMISSION_FAILED";

    /// <summary>Sent by the blade's own sanboot script back to the menu when every attempt failed.</summary>
    public const string SanbootFailed = "SANBOOT_FAILED";

    /// <summary>A restart asked of a blade without a BMC: it restarts itself from its iPXE scripts.</summary>
    public const string PowerInBand = "POWER_IN_BAND";

    public const string JobNotFound = "JOB_NOT_FOUND";
    public const string JobFinished = "JOB_FINISHED";
    public const string JobNotRetryable = "JOB_NOT_RETRYABLE";
    public const string JobKindUnknown = "JOB_KIND_UNKNOWN";

    public const string ConcurrencyConflict = "CONCURRENT_UPDATE";
    public const string UniqueViolation = "ALREADY_EXISTS";
}
