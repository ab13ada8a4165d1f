using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Lifecycle;
using BladeProvisioner.Core.Model;
using BladeProvisioner.Core.Readiness;

namespace BladeProvisioner.Core.Tests;

public sealed class ReadinessAndImageLifecycleTests
{
    [Fact]
    public async Task ReadyOnlyWhenEveryGateIsOpen()
    {
        var r = new ApplianceReadiness();
        r.Register("database");
        r.Register("targets");
        var wait = r.WaitAsync(TestContext.Current.CancellationToken);
        r.Open("database");
        Assert.False(r.IsReady);
        Assert.Equal(["targets"], r.Pending);
        Assert.False(wait.IsCompleted);
        r.Open("targets");
        await wait;
        Assert.True(r.IsReady);
        Assert.Empty(r.Pending);
    }

    [Fact]
    public async Task ADependencyLostAfterStartClosesReadinessAndItsReturnReopensIt()
    {
        var r = new ApplianceReadiness();
        r.Register("database");
        var changes = new List<ReadinessChange>();
        r.Changed += changes.Add;
        r.Open("database");
        Assert.True(r.IsReady);

        r.MarkDown("database", "connection refused", DateTimeOffset.UnixEpoch);
        Assert.False(r.IsReady);
        Assert.True(r.HasStarted);
        Assert.Equal(["database"], r.Pending);
        Assert.Equal("connection refused", Assert.Single(r.Faults).Reason);
        var wait = r.WaitAsync(TestContext.Current.CancellationToken);
        Assert.False(wait.IsCompleted);

        r.MarkDown("database", "still refused", DateTimeOffset.UnixEpoch);
        r.MarkUp("database");
        await wait;
        Assert.True(r.IsReady);
        Assert.Empty(r.Faults);
        Assert.Equal([(true, false), (false, true), (true, true)], changes.Select(c => (c.Ready, c.AfterStart)));
    }

    [Fact]
    public void ADependencyDownBeforeStartKeepsTheFirstOpeningBack()
    {
        var r = new ApplianceReadiness();
        r.Register("database");
        r.MarkDown("tgtd", "no answer", DateTimeOffset.UnixEpoch);
        r.Open("database");
        Assert.False(r.IsReady);
        Assert.Equal(["tgtd"], r.Pending);
        r.MarkUp("tgtd");
        Assert.True(r.IsReady);
    }

    [Theory]
    [InlineData(DonorImageState.Importing, DonorImageState.Active, true)]
    [InlineData(DonorImageState.Importing, DonorImageState.Failed, true)]
    [InlineData(DonorImageState.Active, DonorImageState.Paused, true)]
    [InlineData(DonorImageState.Paused, DonorImageState.Active, true)]
    [InlineData(DonorImageState.Active, DonorImageState.Retired, true)]
    [InlineData(DonorImageState.Paused, DonorImageState.Retired, true)]
    [InlineData(DonorImageState.Retired, DonorImageState.Active, false)]
    [InlineData(DonorImageState.Importing, DonorImageState.Paused, false)]
    [InlineData(DonorImageState.Failed, DonorImageState.Active, false)]
    public void ImageStatesFollowTheirLifecycle(DonorImageState from, DonorImageState to, bool allowed)
    {
        var image = new DonorImage { Name = "x", OperatingSystem = "y", State = from };
        if (allowed)
        {
            DonorImageLifecycle.Transition(image, to);
            Assert.Equal(to, image.State);
        }
        else
        {
            Assert.Equal(ErrorCodes.ImageIllegalState, Assert.Throws<DomainException>(() => DonorImageLifecycle.Transition(image, to)).Code);
            Assert.Equal(from, image.State);
        }
    }

    [Theory]
    [InlineData(DonorImageState.Active, true)]
    [InlineData(DonorImageState.Paused, false)]
    [InlineData(DonorImageState.Retired, false)]
    [InlineData(DonorImageState.Importing, false)]
    public void OnlyActiveImagesAreCloneable(DonorImageState state, bool cloneable)
    {
        var image = new DonorImage { Name = "x", OperatingSystem = "y", State = state };
        if (cloneable)
        {
            DonorImageLifecycle.EnsureCloneable(image);
        }
        else
        {
            Assert.Equal(ErrorCodes.ImageNotActive, Assert.Throws<DomainException>(() => DonorImageLifecycle.EnsureCloneable(image)).Code);
        }
    }

    [Theory]
    [InlineData(BootMode.Bios, BootPlatform.Bios, true)]
    [InlineData(BootMode.Bios, BootPlatform.Uefi, false)]
    [InlineData(BootMode.Uefi, BootPlatform.Uefi, true)]
    [InlineData(BootMode.Uefi, BootPlatform.Bios, false)]
    [InlineData(BootMode.Both, BootPlatform.Bios, true)]
    [InlineData(BootMode.Both, BootPlatform.Uefi, true)]
    public void ImagesMatchTheFirmwareTheyBoot(BootMode mode, BootPlatform platform, bool supported) =>
        Assert.Equal(supported, new DonorImage { Name = "x", OperatingSystem = "y", BootMode = mode }.Supports(platform));
}
