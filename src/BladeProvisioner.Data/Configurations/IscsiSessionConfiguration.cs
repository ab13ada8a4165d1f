using BladeProvisioner.Core.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace BladeProvisioner.Data.Configurations;

internal sealed class IscsiSessionConfiguration : IEntityTypeConfiguration<IscsiSession>
{
    public void Configure(EntityTypeBuilder<IscsiSession> builder)
    {
        builder.ToTable("iscsi_sessions");
        builder.HasKey(s => s.Id);
        builder.HasIndex(s => new { s.Node, s.TargetIqn, s.NexusId, s.InitiatorIqn, s.Address })
            .IsUnique()
            .HasFilter("logged_out_at IS NULL");
        builder.HasOne<Blade>().WithMany().HasForeignKey(s => s.BladeId).OnDelete(DeleteBehavior.Cascade);
    }
}
