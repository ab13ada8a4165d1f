namespace BladeProvisioner.Appliance.Hosting.Listeners;

/// <summary>One HTTP listener: the addresses and port it binds, and the extra host names it answers to.</summary>
internal class ListenerOptions
{
    /// <summary>IP addresses to bind (<c>0.0.0.0</c> or <c>::</c> for every interface); none: 127.0.0.1.</summary>
    public List<string> Addresses { get; set; } = [];

    public int Port { get; set; }

    /// <summary>
    /// Host names (or addresses) a request's Host header may carry besides the bound addresses, the address the client
    /// reached, <c>localhost</c> and the machine's name. Anything else gets 400: a DNS-rebinding page's own name never matches.
    /// </summary>
    public List<string> Names { get; set; } = [];

    /// <summary>The bound addresses (a list left empty in configuration means the loopback address).</summary>
    public IReadOnlyList<System.Net.IPAddress> BoundAddresses() =>
        Addresses.Count == 0 ? [System.Net.IPAddress.Loopback] : [.. Addresses.Select(a => System.Net.IPAddress.Parse(a.Trim('[', ']')))];
}
