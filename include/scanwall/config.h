/* Build-time configuration: the kconfig-generated autoconf header plus the
 * combinations that must never build (dropbear's sysoptions.h idea: one
 * place where impossible choices are stopped by #error). */
#ifndef SCANWALL_CONFIG_H
#define SCANWALL_CONFIG_H

#include <generated/autoconf.h>

/* IS_ENABLED(CONFIG_X) is 1 when X=y and 0 when unset, as in Linux's
 * kconfig.h, so both branches of an `if` compile and are type-checked. */
#define SW_ARG_PLACEHOLDER_1 0,
#define SW_TAKE_SECOND(ignored, val, ...) val
#define SW_IS_DEFINED3(junk_or_comma) SW_TAKE_SECOND(junk_or_comma 1, 0, 0)
#define SW_IS_DEFINED2(val) SW_IS_DEFINED3(SW_ARG_PLACEHOLDER_##val)
#define IS_ENABLED(option) SW_IS_DEFINED2(option)

#if CONFIG_DICOM_RQ_BUFS > CONFIG_DICOM_ASSOC_MAX
#error "CONFIG_DICOM_RQ_BUFS cannot exceed CONFIG_DICOM_ASSOC_MAX"
#endif
#if CONFIG_DICOM_ASSOC_MAX > CONFIG_FLOW_TABLE_SIZE
#error "CONFIG_DICOM_ASSOC_MAX cannot exceed CONFIG_FLOW_TABLE_SIZE"
#endif

#endif
