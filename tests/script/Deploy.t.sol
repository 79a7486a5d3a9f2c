// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {Deploy} from "../../script/Deploy.s.sol";
import {DemoToken} from "../../contracts/mocks/DemoToken.sol";

/// @notice The deploy script wires Rollup, Bridge, verifier and DisputeGame to each other, with its
///         defaults or the environment's.
contract DeployTest is Test {
    function test_Deploy_wiresTheSuite() public {
        Deploy script = new Deploy();
        Deploy.Deployment memory d = script.deploy(
            address(script), Deploy.Params(address(0x5E9), 100, 1 ether, 2, 60, address(0x6A), 1000, 400, 600)
        );
        assertEq(d.rollup.BRIDGE(), address(d.bridge));
        assertEq(d.rollup.DISPUTE(), address(d.dispute));
        assertEq(d.bridge.ROLLUP(), address(d.rollup));
        assertEq(d.verifier.ROLLUP(), address(d.rollup));
        assertEq(d.dispute.ROLLUP(), address(d.rollup));
        assertEq(d.dispute.BRIDGE(), address(d.bridge));
        assertEq(d.dispute.VERIFIER(), address(d.verifier));
        assertEq(d.rollup.sequencer(), address(0x5E9));
        assertEq(d.rollup.WINDOW(), 100);
        assertEq(d.rollup.STAKE(), 1 ether);
        assertEq(d.rollup.CHALLENGE_BOND(), 2);
        assertEq(d.dispute.CLOCK(), 60);
        assertEq(d.rollup.GUARDIAN(), address(0x6A));
        assertEq(d.rollup.DEADLINE(), 1000);
        assertEq(d.rollup.PAUSE(), 400);
        assertEq(d.rollup.COOLDOWN(), 600);
    }

    /// @dev The only test that sets these variables: the environment is shared by tests running in parallel.
    function test_Deploy_runReadsEnvironment() public {
        vm.setEnv("BULWARK_SEQUENCER", "0x00000000000000000000000000000000000005E9");
        vm.setEnv("BULWARK_WINDOW", "3600");
        vm.setEnv("BULWARK_STAKE", "12345");
        vm.setEnv("BULWARK_CHALLENGE_BOND", "678");
        vm.setEnv("BULWARK_CLOCK", "90");
        vm.setEnv("BULWARK_DEMO_TOKEN", "true");
        vm.setEnv("BULWARK_GUARDIAN", "0x000000000000000000000000000000000000006A");
        vm.setEnv("BULWARK_DEADLINE", "7200");
        vm.setEnv("BULWARK_PAUSE", "1800");
        vm.setEnv("BULWARK_COOLDOWN", "5400");
        Deploy script = new Deploy();
        Deploy.Deployment memory d = script.run();
        assertEq(d.rollup.sequencer(), address(0x5E9));
        assertEq(d.rollup.WINDOW(), 3600);
        assertEq(d.rollup.STAKE(), 12345);
        assertEq(d.rollup.CHALLENGE_BOND(), 678);
        assertEq(d.dispute.CLOCK(), 90);
        assertEq(d.rollup.GUARDIAN(), address(0x6A));
        assertEq(d.rollup.DEADLINE(), 7200);
        assertEq(d.rollup.PAUSE(), 1800);
        assertEq(d.rollup.COOLDOWN(), 5400);
        assertTrue(address(d.demoToken) != address(0));
        d.demoToken.mint(address(this), 5);
        assertEq(d.demoToken.balanceOf(address(this)), 5);
    }

    function test_Deploy_defaultsWhenUnset() public {
        Deploy script = new Deploy();
        assertEq(script.DEFAULT_WINDOW(), 7 days);
        assertGe(script.DEFAULT_WINDOW(), 2 * script.DEFAULT_CLOCK(), "a window holds two clocks");
        assertGe(script.DEFAULT_DEADLINE(), 2 * script.DEFAULT_PAUSE(), "D >= 2P");
        assertGe(script.DEFAULT_COOLDOWN(), script.DEFAULT_DEADLINE() - script.DEFAULT_PAUSE(), "cooldown >= D - P");
    }

    /// @notice The deployment file the script writes on a broadcast: every field where `bulwark deploy`
    ///         puts it, wei as decimal strings (exact beyond 2^53), the demo token only when deployed.
    function test_Deploy_deploymentJsonHasTheFileFormat() public {
        Deploy script = new Deploy();
        Deploy.Params memory p = Deploy.Params(address(0x5E9), 100, 10 ** 30, 2, 60, address(0x6A), 1000, 400, 600);
        Deploy.Deployment memory d = script.deploy(address(script), p);
        string memory json = script.deploymentJson(d, p, 42);
        assertEq(vm.parseJsonUint(json, ".chainId"), block.chainid);
        assertEq(vm.parseJsonUint(json, ".deployBlock"), 42);
        assertEq(vm.parseJsonAddress(json, ".rollup"), address(d.rollup));
        assertEq(vm.parseJsonAddress(json, ".bridge"), address(d.bridge));
        assertEq(vm.parseJsonAddress(json, ".verifier"), address(d.verifier));
        assertEq(vm.parseJsonAddress(json, ".dispute"), address(d.dispute));
        assertFalse(vm.keyExistsJson(json, ".demoToken"));
        assertEq(vm.parseJsonAddress(json, ".params.sequencer"), address(0x5E9));
        assertEq(vm.parseJsonAddress(json, ".params.guardian"), address(0x6A));
        assertEq(vm.parseJsonUint(json, ".params.window"), 100);
        assertEq(vm.parseJsonUint(json, ".params.clock"), 60);
        assertEq(vm.parseJsonUint(json, ".params.deadline"), 1000);
        assertEq(vm.parseJsonUint(json, ".params.pause"), 400);
        assertEq(vm.parseJsonUint(json, ".params.cooldown"), 600);
        assertEq(vm.parseJsonString(json, ".params.stake"), "1000000000000000000000000000000");
        assertEq(vm.parseJsonString(json, ".params.challengeBond"), "2");

        d.demoToken = DemoToken(address(0xD0));
        json = script.deploymentJson(d, p, 42);
        assertEq(vm.parseJsonAddress(json, ".demoToken"), address(0xD0));
    }
}
