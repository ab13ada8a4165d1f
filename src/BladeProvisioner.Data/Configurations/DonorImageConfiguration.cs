using BladeProvisioner.Core.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace BladeProvisioner.Data.Configurations;

internal sealed class DonorImageConfiguration : IEntityTypeConfiguration<DonorImage>
{
    public void Configure(EntityTypeBuilder<DonorImage> builder)
    {
        builder.ToTable("donor_images");
        builder.HasKey(i => i.Id);
        builder.HasIndex(i => new { i.Name, i.Version }).IsUnique();
        builder.Property(i => i.RowVersion).IsRowVersion();
        builder.Ignore(i => i.DisplayName);
        builder.Property(i => i.Preflight).HasColumnType("jsonb");
    }
}
