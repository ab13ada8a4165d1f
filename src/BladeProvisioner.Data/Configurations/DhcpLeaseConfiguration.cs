using BladeProvisioner.Core.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace BladeProvisioner.Data.Configurations;

internal sealed class DhcpLeaseConfiguration : IEntityTypeConfiguration<DhcpLease>
{
    public void Configure(EntityTypeBuilder<DhcpLease> builder)
    {
        builder.ToTable("dhcp_leases");
        builder.HasKey(l => l.Id);
        builder.Property(l => l.Address).HasColumnType("inet");
    }
}
