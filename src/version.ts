/** The Helios release this build reports (CLI `version`, helios_build_info). */
export const HELIOS_VERSION = "0.1.0";
