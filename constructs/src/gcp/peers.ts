/** Where clients of the gateway connect from, in GCP's firewall terms. */
export class GcpPeer {
  /** Clients in an address range, e.g. `10.10.0.0/24` (VPN, CI runners, people's machines). */
  static ipv4(cidr: string): GcpPeer {
    return new GcpPeer({ sourceRanges: [cidr] }, `range ${cidr}`);
  }

  /** Client VMs in the gateway's network carrying this network tag. */
  static networkTag(tag: string): GcpPeer {
    return new GcpPeer({ sourceTags: [tag] }, `tag ${tag}`);
  }

  private constructor(
    /** The firewall source fields this peer sets. */
    readonly source: { readonly sourceRanges?: readonly string[]; readonly sourceTags?: readonly string[] },
    /** For descriptions: "range 10.0.0.0/8", "tag ci". */
    readonly label: string,
  ) {}
}
