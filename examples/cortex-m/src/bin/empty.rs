//! The baseline: the same runtime, semihosting, panic handler, HardFault handler and
//! measurements as `ota-update`, and no update. Flash "over an empty firmware" is measured
//! against this binary.
#![no_std]
#![no_main]

use cortex_m_rt::{entry, exception};
use cortex_m_semihosting::{debug, hprintln};
use ota_cortex_m::{INSTRUCTIONS_PER_TICK, stack_usage, start_systick, systick_ticks};
use panic_semihosting as _;

#[entry]
fn main() -> ! {
    let mut cp = cortex_m::Peripherals::take().unwrap();
    start_systick(&mut cp.SYST);
    let start = systick_ticks();
    let ticks = systick_ticks() - start;
    let (stack, used) = stack_usage();
    hprintln!(
        "EMPTY OK: stack {} of {} bytes, {} instructions",
        used,
        stack,
        ticks * INSTRUCTIONS_PER_TICK
    );
    debug::exit(debug::EXIT_SUCCESS);
    loop {}
}

#[exception]
fn SysTick() {
    ota_cortex_m::on_systick();
}
