namespace BladeProvisioner.Tftp.Protocol;

/// <summary>Why a request did or did not parse. Parsers return this instead of throwing.</summary>
internal enum TftpParseStatus
{
    Ok,
    TooShort,
    UnknownOpcode,
    NotARequest,
    FileNameNotTerminated,
    EmptyFileName,
    FileNameHasInvalidCharacter,
    FileNameHasEmbeddedNul,
    ModeNotTerminated,
    UnknownMode,
    OptionNameNotTerminated,
    OptionValueNotTerminated,
    EmptyOptionName,
    OptionHasInvalidCharacter,
    DuplicateOption,
    TooManyOptions,
}
