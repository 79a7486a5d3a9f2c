// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "forge-std/Test.sol";
import {Deploy} from "../../script/Deploy.s.sol";

/// @notice The deploy script wires Rollup and Bridge to each other, with its defaults or the environment's.
contract DeployTest is Test {
    function test_Deploy_wiresRollupAndBridge() public {
        Deploy script = new Deploy();
        Deploy.Deployment memory d = script.deploy(address(script), address(0x5E9), 100, 1 ether);
        assertEq(d.rollup.BRIDGE(), address(d.bridge));
        assertEq(d.bridge.ROLLUP(), address(d.rollup));
        assertEq(d.rollup.sequencer(), address(0x5E9));
        assertEq(d.rollup.WINDOW(), 100);
        assertEq(d.rollup.BOND(), 1 ether);
    }

    /// @dev The only test that sets these variables: the environment is shared by tests running in parallel.
    function test_Deploy_runReadsEnvironment() public {
        vm.setEnv("BULWARK_SEQUENCER", "0x00000000000000000000000000000000000005E9");
        vm.setEnv("BULWARK_WINDOW", "3600");
        vm.setEnv("BULWARK_BOND", "12345");
        vm.setEnv("BULWARK_DEMO_TOKEN", "true");
        Deploy script = new Deploy();
        Deploy.Deployment memory d = script.run();
        assertEq(d.rollup.sequencer(), address(0x5E9));
        assertEq(d.rollup.WINDOW(), 3600);
        assertEq(d.rollup.BOND(), 12345);
        assertTrue(address(d.demoToken) != address(0));
        d.demoToken.mint(address(this), 5);
        assertEq(d.demoToken.balanceOf(address(this)), 5);
    }
}
