using BladeProvisioner.Core.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace BladeProvisioner.Data.Configurations;

internal sealed class ZeroTouchRuleConfiguration : IEntityTypeConfiguration<ZeroTouchRule>
{
    public void Configure(EntityTypeBuilder<ZeroTouchRule> builder)
    {
        builder.ToTable("zero_touch_rules");
        builder.HasKey(r => r.Id);
        builder.HasIndex(r => r.SmbiosUuid).IsUnique();
        builder.HasIndex(r => new { r.Chassis, r.Slot }).IsUnique();
        builder.HasOne<DonorImage>().WithMany().HasForeignKey(r => r.DonorImageId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<Blade>().WithMany().HasForeignKey(r => r.BladeId).OnDelete(DeleteBehavior.SetNull);
    }
}
