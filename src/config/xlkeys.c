/*
 * xlkeys.c - the keys xl.cfg(5) (Xen 4.17) documents, and a warning for a
 * key xl would silently ignore that is one edit away from one of them: a
 * misspelt `channels = [...]` otherwise gives a domain without channels and
 * no word about it.
 */
#include <stdlib.h>
#include <string.h>

#include "xenchannel/config.h"

static const char *const xl_keys[] = {
    "name",
    "uuid",
    "type",
    "builder",
    "pool",
    "vcpus",
    "maxvcpus",
    "cpus",
    "cpus_soft",
    "cpu_weight",
    "cap",
    "memory",
    "maxmem",
    "vnuma",
    "on_poweroff",
    "on_reboot",
    "on_watchdog",
    "on_crash",
    "on_soft_reset",
    "kernel",
    "ramdisk",
    "cmdline",
    "root",
    "extra",
    "bootloader",
    "bootloader_args",
    "seclabel",
    "init_seclabel",
    "max_grant_frames",
    "max_maptrack_frames",
    "max_grant_version",
    "nomigrate",
    "driver_domain",
    "device_tree",
    "passthrough",
    "dtdev",
    "iomem",
    "ioports",
    "irqs",
    "max_event_channels",
    "vdispl",
    "vsnd",
    "vkb",
    "vkb_device",
    "p9",
    "pvcalls",
    "vtpm",
    "usbctrl",
    "usbdev",
    "usb",
    "usbdevice",
    "usbversion",
    "disk",
    "vif",
    "vfb",
    "channel",
    "rdm",
    "rdm_mem_boundary",
    "pci",
    "pci_permissive",
    "pci_msitranslate",
    "pci_seize",
    "pci_power_mgmt",
    "gfx_passthru",
    "e820_host",
    "viridian",
    "hap",
    "oos",
    "shadow_memory",
    "mmio_hole",
    "xend_suspend_evtchn_compat",
    "nestedhvm",
    "altp2m",
    "altp2mhvm",
    "acpi",
    "acpi_s3",
    "acpi_s4",
    "acpi_laptop_slate",
    "apic",
    "pae",
    "hpet",
    "vpt_align",
    "timer_mode",
    "tsc_mode",
    "localtime",
    "rtc_timeoffset",
    "boot",
    "firmware",
    "bios",
    "bios_path_override",
    "smbios_firmware",
    "acpi_firmware",
    "ms_vm_genid",
    "xen_platform_pci",
    "device_model_version",
    "device_model_override",
    "device_model_stubdomain_override",
    "device_model_stubdomain_seclabel",
    "device_model_args",
    "device_model_args_pv",
    "device_model_args_hvm",
    "device_model_user",
    "stubdomain_kernel",
    "stubdomain_ramdisk",
    "stubdomain_memory",
    "sdl",
    "opengl",
    "vnc",
    "vnclisten",
    "vncdisplay",
    "vncunused",
    "vncpasswd",
    "keymap",
    "stdvga",
    "vga",
    "videoram",
    "serial",
    "soundhw",
    "spice",
    "spicehost",
    "spiceport",
    "spicetls_port",
    "spicedisable_ticketing",
    "spicepasswd",
    "spiceagent_mouse",
    "spicevdagent",
    "spice_clipboard_sharing",
    "spiceusbredirection",
    "spice_image_compression",
    "spice_streaming_video",
    "nographic",
    "vendor_device",
    "nx",
    "cpuid",
    "dm_restrict",
    "mca_caps",
    "pvshim",
    "pvshim_path",
    "pvshim_cmdline",
    "pvshim_extra",
    "vmtrace_buf_kb",
    "gic_version",
    "vuart",
    "tee",
    "nr_spis",
    "msr_relaxed",
    "assisted_xapic",
    "assisted_x2apic",
    "vpmu",
    "trap_unmapped_accesses",
    "hdtype",
};

#define NKEYS (sizeof(xl_keys) / sizeof(xl_keys[0]))

/* Levenshtein distance of a and b is exactly 1 (one insertion, deletion or
 * substitution). */
static int one_edit(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > lb)
		return one_edit(b, a);
	if (lb - la > 1)
		return 0;
	size_t i = 0;
	while (i < la && a[i] == b[i])
		i++;
	if (la == lb) /* one substitution */
		return i < la && !strcmp(a + i + 1, b + i + 1);
	return !strcmp(a + i, b + i + 1); /* b has one more character */
}

static int known(const char *key)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(xl_keys[i], key))
			return 1;
	return 0;
}

void cfg_check_keys(const struct cfg_file *f, struct cfg_diag *d)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct cfg_setting *s = &f->settings[i];
		if (known(s->key))
			continue;
		/* report each misspelling once, at its first use */
		int seen = 0;
		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(f->settings[j].key, s->key);
		for (size_t k = 0; k < NKEYS && !seen; k++) {
			if (!one_edit(s->key, xl_keys[k]))
				continue;
			cfg_diag_add(d, CFG_WARNING,
			             "%s:%u:%u: warning: unknown key '%s': did you mean '%s'? (xl "
			             "ignores it)",
			             f->source, s->loc.line, s->loc.col, s->key, xl_keys[k]);
			break;
		}
	}
}
