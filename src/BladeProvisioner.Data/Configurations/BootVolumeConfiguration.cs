using BladeProvisioner.Core.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace BladeProvisioner.Data.Configurations;

internal sealed class BootVolumeConfiguration : IEntityTypeConfiguration<BootVolume>
{
    public void Configure(EntityTypeBuilder<BootVolume> builder)
    {
        builder.ToTable("boot_volumes");
        builder.HasKey(v => v.Id);
        builder.HasIndex(v => v.TargetIqn).IsUnique();
        builder.HasIndex(v => v.BackingPath).IsUnique();
        builder.HasIndex(v => v.ScsiSerial).IsUnique();
        builder.HasIndex(v => v.Wwn).IsUnique();
        builder.HasIndex(v => v.PhoneHomeTokenHash).IsUnique();
        builder.Property(v => v.RowVersion).IsRowVersion();
        builder.HasOne<Blade>().WithMany().HasForeignKey(v => v.BladeId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<DonorImage>().WithMany().HasForeignKey(v => v.DonorImageId).OnDelete(DeleteBehavior.Restrict);
    }
}
