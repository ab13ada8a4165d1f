using BladeProvisioner.Core.Errors;
using BladeProvisioner.Core.Lifecycle;
using BladeProvisioner.Core.Model;

namespace BladeProvisioner.Core.Tests;

public sealed class BladeStateMachineTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 10, 0, 0, TimeSpan.Zero);

    /// <summary>The whole table: every (from, to) pair and whether it is allowed.</summary>
    private static readonly HashSet<(BladeState, BladeState)> Legal =
    [
        (BladeState.Discovered, BladeState.Provisioning),
        (BladeState.Provisioning, BladeState.Provisioned),
        (BladeState.Provisioning, BladeState.Failed),
        (BladeState.Provisioning, BladeState.Decommissioning),
        (BladeState.Provisioned, BladeState.Active),
        (BladeState.Provisioned, BladeState.Failed),
        (BladeState.Provisioned, BladeState.Decommissioning),
        (BladeState.Active, BladeState.Provisioned),
        (BladeState.Active, BladeState.Failed),
        (BladeState.Active, BladeState.Decommissioning),
        (BladeState.Failed, BladeState.Provisioning),
        (BladeState.Failed, BladeState.Decommissioning),
        (BladeState.Decommissioning, BladeState.Discovered),
        (BladeState.Decommissioning, BladeState.Failed),
    ];

    public static TheoryData<BladeState, BladeState> AllPairs()
    {
        var data = new TheoryData<BladeState, BladeState>();
        foreach (var from in Enum.GetValues<BladeState>())
        {
            foreach (var to in Enum.GetValues<BladeState>())
            {
                data.Add(from, to);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllPairs))]
    public void EveryPairIsAllowedExactlyWhenTheTableSaysSo(BladeState from, BladeState to)
    {
        var blade = new Blade { Id = 7, BootMac = "52:54:00:00:00:07", State = from };
        if (Legal.Contains((from, to)))
        {
            var e = BladeStateMachine.Transition(blade, to, "operator", "because", Now);
            Assert.Equal(to, blade.State);
            Assert.Equal(Now, blade.StateChangedAt);
            Assert.Equal("blade.state", e.Kind);
            Assert.Equal(7, e.BladeId);
            Assert.Equal("operator", e.Actor);
            Assert.Contains($"{from} → {to}", e.Summary, StringComparison.Ordinal);
        }
        else
        {
            var ex = Assert.Throws<DomainException>(() => BladeStateMachine.Transition(blade, to, "operator", "because", Now));
            Assert.Equal(ErrorCodes.IllegalTransition, ex.Code);
            Assert.Equal(ErrorKind.Conflict, ex.Kind);
            Assert.Equal(from, blade.State);
        }
    }

    [Fact]
    public void TheHappyPathAndDecommissionReturnToDiscovered()
    {
        var blade = new Blade { BootMac = "52:54:00:00:00:01" };
        BladeState[] path = [BladeState.Provisioning, BladeState.Provisioned, BladeState.Active, BladeState.Decommissioning, BladeState.Discovered];
        foreach (var s in path)
        {
            BladeStateMachine.Transition(blade, s, "system", string.Empty, Now);
        }

        Assert.Equal(BladeState.Discovered, blade.State);
    }

    [Fact]
    public void NextStatesListsTheTable()
    {
        foreach (var from in Enum.GetValues<BladeState>())
        {
            var expected = Legal.Where(p => p.Item1 == from).Select(p => p.Item2).Order();
            Assert.Equal(expected, BladeStateMachine.NextStates(from).Order());
        }
    }
}
