/* SPDX-License-Identifier: GPL-2.0 */
/* What plat_dev gives its devices as platform data, and plat_drv reads. */
struct plat_info {
	const char *greeting;
	int number;
};
