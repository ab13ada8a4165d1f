using BladeProvisioner.Core.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace BladeProvisioner.Data.Configurations;

internal sealed class BladeConfiguration : IEntityTypeConfiguration<Blade>
{
    public void Configure(EntityTypeBuilder<Blade> builder)
    {
        builder.ToTable("blades");
        builder.HasKey(b => b.Id);
        builder.HasIndex(b => b.BootMac).IsUnique();
        builder.HasIndex(b => b.InitiatorIqn).IsUnique();
        builder.Property(b => b.RowVersion).IsRowVersion();
        builder.HasOne<DonorImage>().WithMany().HasForeignKey(b => b.AssignedImageId).OnDelete(DeleteBehavior.SetNull);
    }
}
