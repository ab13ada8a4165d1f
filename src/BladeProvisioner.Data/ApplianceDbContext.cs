using System.Text;
using BladeProvisioner.Core.Model;
using Microsoft.EntityFrameworkCore;

namespace BladeProvisioner.Data;

/// <summary>The appliance database. The schema is owned by the SQL migrations; this model maps onto it.</summary>
public sealed class ApplianceDbContext(DbContextOptions<ApplianceDbContext> options) : DbContext(options)
{
    public DbSet<Blade> Blades => Set<Blade>();
    public DbSet<DonorImage> DonorImages => Set<DonorImage>();
    public DbSet<BootVolume> BootVolumes => Set<BootVolume>();
    public DbSet<Job> Jobs => Set<Job>();
    public DbSet<DhcpLease> DhcpLeases => Set<DhcpLease>();
    public DbSet<Event> Events => Set<Event>();
    public DbSet<ZeroTouchRule> ZeroTouchRules => Set<ZeroTouchRule>();
    public DbSet<IscsiSession> IscsiSessions => Set<IscsiSession>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(ApplianceDbContext).Assembly);

        // Columns are snake_case, as the migrations write them.
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                if (property.Name != nameof(Blade.RowVersion))
                {
                    property.SetColumnName(ToSnakeCase(property.Name));
                }
            }
        }
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        ArgumentNullException.ThrowIfNull(configurationBuilder);

        // Enums are stored by name: readable in psql, stable when members are added.
        configurationBuilder.Properties<BladeState>().HaveConversion<string>();
        configurationBuilder.Properties<BootPlatform>().HaveConversion<string>();
        configurationBuilder.Properties<BootMode>().HaveConversion<string>();
        configurationBuilder.Properties<PowerDriverKind>().HaveConversion<string>();
        configurationBuilder.Properties<UefiLoader>().HaveConversion<string>();
        configurationBuilder.Properties<DonorImageState>().HaveConversion<string>();
        configurationBuilder.Properties<ImageFormat>().HaveConversion<string>();
        configurationBuilder.Properties<OsPersonalization>().HaveConversion<string>();
        configurationBuilder.Properties<DiskIdentifierPolicy>().HaveConversion<string>();
        configurationBuilder.Properties<CloudInitPolicy>().HaveConversion<string>();
        configurationBuilder.Properties<BootVolumeState>().HaveConversion<string>();
        configurationBuilder.Properties<JobState>().HaveConversion<string>();
        configurationBuilder.Properties<DhcpLeaseState>().HaveConversion<string>();
    }

    internal static string ToSnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 8);
        for (int i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                bool boundary = i > 0 && (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1])));
                if (boundary)
                {
                    sb.Append('_');
                }

                sb.Append(char.ToLowerInvariant(c));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }
}
