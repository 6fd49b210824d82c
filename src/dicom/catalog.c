/* The DICOM service catalog: what each `services` name of a policy stands
 * for. The UIDs are those of DICOM PS3.4 (Annex B for storage, C for
 * query/retrieve, K for worklist, F for MPPS, J for storage commitment) as
 * registered in PS3.6 Annex A.
 *
 * Storage is deliberately generous within Annex B: it keeps the retired
 * classes, because the devices this box protects are old and still send
 * them (a 2010 SPECT/CT proposes "Nuclear Medicine Image Storage
 * (Retired)" next to the current one), and it matches the list dcmtk's
 * storescu proposes by default so a stock SCU is never refused for a
 * context it merely offers. Draft classes, DICOS (security screening) and
 * DICONDE (non-destructive testing) are not medical storage and are left
 * to `sop` lines. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "scanwall/catalog.h"

static const char *const verification_uids[] = {
	"1.2.840.10008.1.1", /* Verification */
	NULL,
};

static const char *const storage_uids[] = {
	"1.2.840.10008.5.1.4.1.1.1", /* Computed Radiography Image Storage */
	"1.2.840.10008.5.1.4.1.1.1.1", /* Digital X Ray Image Storage For Presentation */
	"1.2.840.10008.5.1.4.1.1.1.1.1", /* Digital X Ray Image Storage For Processing */
	"1.2.840.10008.5.1.4.1.1.1.2", /* Digital Mammography X Ray Image Storage For Presentation */
	"1.2.840.10008.5.1.4.1.1.1.2.1", /* Digital Mammography X Ray Image Storage For Processing */
	"1.2.840.10008.5.1.4.1.1.1.3", /* Digital Intra Oral X Ray Image Storage For Presentation */
	"1.2.840.10008.5.1.4.1.1.1.3.1", /* Digital Intra Oral X Ray Image Storage For Processing */
	"1.2.840.10008.5.1.4.1.1.2", /* CT Image Storage */
	"1.2.840.10008.5.1.4.1.1.2.1", /* Enhanced CT Image Storage */
	"1.2.840.10008.5.1.4.1.1.2.2", /* Legacy Converted Enhanced CT Image Storage */
	"1.2.840.10008.5.1.4.1.1.3", /* Ultrasound Multiframe Image Storage (retired) */
	"1.2.840.10008.5.1.4.1.1.3.1", /* Ultrasound Multiframe Image Storage */
	"1.2.840.10008.5.1.4.1.1.4", /* MR Image Storage */
	"1.2.840.10008.5.1.4.1.1.4.1", /* Enhanced MR Image Storage */
	"1.2.840.10008.5.1.4.1.1.4.2", /* MR Spectroscopy Storage */
	"1.2.840.10008.5.1.4.1.1.4.3", /* Enhanced MR Color Image Storage */
	"1.2.840.10008.5.1.4.1.1.4.4", /* Legacy Converted Enhanced MR Image Storage */
	"1.2.840.10008.5.1.4.1.1.5", /* Nuclear Medicine Image Storage (retired) */
	"1.2.840.10008.5.1.4.1.1.6", /* Ultrasound Image Storage (retired) */
	"1.2.840.10008.5.1.4.1.1.6.1", /* Ultrasound Image Storage */
	"1.2.840.10008.5.1.4.1.1.6.2", /* Enhanced US Volume Storage */
	"1.2.840.10008.5.1.4.1.1.7", /* Secondary Capture Image Storage */
	"1.2.840.10008.5.1.4.1.1.7.1", /* Multiframe Single Bit Secondary Capture Image Storage */
	"1.2.840.10008.5.1.4.1.1.7.2", /* Multiframe Grayscale Byte Secondary Capture Image Storage */
	"1.2.840.10008.5.1.4.1.1.7.3", /* Multiframe Grayscale Word Secondary Capture Image Storage */
	"1.2.840.10008.5.1.4.1.1.7.4", /* Multiframe True Color Secondary Capture Image Storage */
	"1.2.840.10008.5.1.4.1.1.8", /* Standalone Overlay Storage (retired) */
	"1.2.840.10008.5.1.4.1.1.9", /* Standalone Curve Storage (retired) */
	"1.2.840.10008.5.1.4.1.1.9.1.1", /* Twelve Lead ECG Waveform Storage */
	"1.2.840.10008.5.1.4.1.1.9.1.2", /* General ECG Waveform Storage */
	"1.2.840.10008.5.1.4.1.1.9.1.3", /* Ambulatory ECG Waveform Storage */
	"1.2.840.10008.5.1.4.1.1.9.2.1", /* Hemodynamic Waveform Storage */
	"1.2.840.10008.5.1.4.1.1.9.3.1", /* Cardiac Electrophysiology Waveform Storage */
	"1.2.840.10008.5.1.4.1.1.9.4.1", /* Basic Voice Audio Waveform Storage */
	"1.2.840.10008.5.1.4.1.1.9.4.2", /* General Audio Waveform Storage */
	"1.2.840.10008.5.1.4.1.1.9.5.1", /* Arterial Pulse Waveform Storage */
	"1.2.840.10008.5.1.4.1.1.9.6.1", /* Respiratory Waveform Storage */
	"1.2.840.10008.5.1.4.1.1.9.6.2", /* Multichannel Respiratory Waveform Storage */
	"1.2.840.10008.5.1.4.1.1.9.7.1", /* Routine Scalp Electroencephalogram Waveform Storage */
	"1.2.840.10008.5.1.4.1.1.9.7.2", /* Electromyogram Waveform Storage */
	"1.2.840.10008.5.1.4.1.1.9.7.3", /* Electrooculogram Waveform Storage */
	"1.2.840.10008.5.1.4.1.1.9.7.4", /* Sleep Electroencephalogram Waveform Storage */
	"1.2.840.10008.5.1.4.1.1.9.8.1", /* Body Position Waveform Storage */
	"1.2.840.10008.5.1.4.1.1.10", /* Standalone Modality LUT Storage (retired) */
	"1.2.840.10008.5.1.4.1.1.11", /* Standalone VOILUT Storage (retired) */
	"1.2.840.10008.5.1.4.1.1.11.1", /* Grayscale Softcopy Presentation State Storage */
	"1.2.840.10008.5.1.4.1.1.11.2", /* Color Softcopy Presentation State Storage */
	"1.2.840.10008.5.1.4.1.1.11.3", /* Pseudo Color Softcopy Presentation State Storage */
	"1.2.840.10008.5.1.4.1.1.11.4", /* Blending Softcopy Presentation State Storage */
	"1.2.840.10008.5.1.4.1.1.11.5", /* XAXRF Grayscale Softcopy Presentation State Storage */
	"1.2.840.10008.5.1.4.1.1.11.6", /* Grayscale Planar MPR Volumetric Presentation State Storage */
	"1.2.840.10008.5.1.4.1.1.11.7", /* Compositing Planar MPR Volumetric Presentation State Storage */
	"1.2.840.10008.5.1.4.1.1.11.8", /* Advanced Blending Presentation State Storage */
	"1.2.840.10008.5.1.4.1.1.11.9", /* Volume Rendering Volumetric Presentation State Storage */
	"1.2.840.10008.5.1.4.1.1.11.10", /* Segmented Volume Rendering Volumetric Presentation State Storage */
	"1.2.840.10008.5.1.4.1.1.11.11", /* Multiple Volume Rendering Volumetric Presentation State Storage */
	"1.2.840.10008.5.1.4.1.1.12.1", /* X Ray Angiographic Image Storage */
	"1.2.840.10008.5.1.4.1.1.12.1.1", /* Enhanced XA Image Storage */
	"1.2.840.10008.5.1.4.1.1.12.2", /* X Ray Radiofluoroscopic Image Storage */
	"1.2.840.10008.5.1.4.1.1.12.2.1", /* Enhanced XRF Image Storage */
	"1.2.840.10008.5.1.4.1.1.12.3", /* X Ray Angiographic Bi Plane Image Storage (retired) */
	"1.2.840.10008.5.1.4.1.1.13.1.1", /* X Ray3 D Angiographic Image Storage */
	"1.2.840.10008.5.1.4.1.1.13.1.2", /* X Ray3 D Craniofacial Image Storage */
	"1.2.840.10008.5.1.4.1.1.13.1.3", /* Breast Tomosynthesis Image Storage */
	"1.2.840.10008.5.1.4.1.1.13.1.4", /* Breast Projection X Ray Image Storage For Presentation */
	"1.2.840.10008.5.1.4.1.1.13.1.5", /* Breast Projection X Ray Image Storage For Processing */
	"1.2.840.10008.5.1.4.1.1.14.1", /* Intravascular Optical Coherence Tomography Image Storage For Presentation */
	"1.2.840.10008.5.1.4.1.1.14.2", /* Intravascular Optical Coherence Tomography Image Storage For Processing */
	"1.2.840.10008.5.1.4.1.1.20", /* Nuclear Medicine Image Storage */
	"1.2.840.10008.5.1.4.1.1.30", /* Parametric Map Storage */
	"1.2.840.10008.5.1.4.1.1.66", /* Raw Data Storage */
	"1.2.840.10008.5.1.4.1.1.66.1", /* Spatial Registration Storage */
	"1.2.840.10008.5.1.4.1.1.66.2", /* Spatial Fiducials Storage */
	"1.2.840.10008.5.1.4.1.1.66.3", /* Deformable Spatial Registration Storage */
	"1.2.840.10008.5.1.4.1.1.66.4", /* Segmentation Storage */
	"1.2.840.10008.5.1.4.1.1.66.5", /* Surface Segmentation Storage */
	"1.2.840.10008.5.1.4.1.1.66.6", /* Tractography Results Storage */
	"1.2.840.10008.5.1.4.1.1.67", /* Real World Value Mapping Storage */
	"1.2.840.10008.5.1.4.1.1.68.1", /* Surface Scan Mesh Storage */
	"1.2.840.10008.5.1.4.1.1.68.2", /* Surface Scan Point Cloud Storage */
	"1.2.840.10008.5.1.4.1.1.77.1", /* VL Image Storage (retired) */
	"1.2.840.10008.5.1.4.1.1.77.1.1", /* VL Endoscopic Image Storage */
	"1.2.840.10008.5.1.4.1.1.77.1.1.1", /* Video Endoscopic Image Storage */
	"1.2.840.10008.5.1.4.1.1.77.1.2", /* VL Microscopic Image Storage */
	"1.2.840.10008.5.1.4.1.1.77.1.2.1", /* Video Microscopic Image Storage */
	"1.2.840.10008.5.1.4.1.1.77.1.3", /* VL Slide Coordinates Microscopic Image Storage */
	"1.2.840.10008.5.1.4.1.1.77.1.4", /* VL Photographic Image Storage */
	"1.2.840.10008.5.1.4.1.1.77.1.4.1", /* Video Photographic Image Storage */
	"1.2.840.10008.5.1.4.1.1.77.1.5.1", /* Ophthalmic Photography8 Bit Image Storage */
	"1.2.840.10008.5.1.4.1.1.77.1.5.2", /* Ophthalmic Photography16 Bit Image Storage */
	"1.2.840.10008.5.1.4.1.1.77.1.5.3", /* Stereometric Relationship Storage */
	"1.2.840.10008.5.1.4.1.1.77.1.5.4", /* Ophthalmic Tomography Image Storage */
	"1.2.840.10008.5.1.4.1.1.77.1.5.5", /* Wide Field Ophthalmic Photography Stereographic Projection Image Storage */
	"1.2.840.10008.5.1.4.1.1.77.1.5.6", /* Wide Field Ophthalmic Photography3 D Coordinates Image Storage */
	"1.2.840.10008.5.1.4.1.1.77.1.5.7", /* Ophthalmic Optical Coherence Tomography En Face Image Storage */
	"1.2.840.10008.5.1.4.1.1.77.1.5.8", /* Ophthalmic Optical Coherence Tomography Bscan Volume Analysis Storage */
	"1.2.840.10008.5.1.4.1.1.77.1.6", /* VL Whole Slide Microscopy Image Storage */
	"1.2.840.10008.5.1.4.1.1.77.1.7", /* Dermoscopic Photography Image Storage */
	"1.2.840.10008.5.1.4.1.1.77.2", /* VL Multiframe Image Storage (retired) */
	"1.2.840.10008.5.1.4.1.1.78.1", /* Lensometry Measurements Storage */
	"1.2.840.10008.5.1.4.1.1.78.2", /* Autorefraction Measurements Storage */
	"1.2.840.10008.5.1.4.1.1.78.3", /* Keratometry Measurements Storage */
	"1.2.840.10008.5.1.4.1.1.78.4", /* Subjective Refraction Measurements Storage */
	"1.2.840.10008.5.1.4.1.1.78.5", /* Visual Acuity Measurements Storage */
	"1.2.840.10008.5.1.4.1.1.78.6", /* Spectacle Prescription Report Storage */
	"1.2.840.10008.5.1.4.1.1.78.7", /* Ophthalmic Axial Measurements Storage */
	"1.2.840.10008.5.1.4.1.1.78.8", /* Intraocular Lens Calculations Storage */
	"1.2.840.10008.5.1.4.1.1.79.1", /* Macular Grid Thickness And Volume Report Storage */
	"1.2.840.10008.5.1.4.1.1.80.1", /* Ophthalmic Visual Field Static Perimetry Measurements Storage */
	"1.2.840.10008.5.1.4.1.1.81.1", /* Ophthalmic Thickness Map Storage */
	"1.2.840.10008.5.1.4.1.1.82.1", /* Corneal Topography Map Storage */
	"1.2.840.10008.5.1.4.1.1.88.11", /* Basic Text SR Storage */
	"1.2.840.10008.5.1.4.1.1.88.22", /* Enhanced SR Storage */
	"1.2.840.10008.5.1.4.1.1.88.33", /* Comprehensive SR Storage */
	"1.2.840.10008.5.1.4.1.1.88.34", /* Comprehensive3 DSR Storage */
	"1.2.840.10008.5.1.4.1.1.88.35", /* Extensible SR Storage */
	"1.2.840.10008.5.1.4.1.1.88.40", /* Procedure Log Storage */
	"1.2.840.10008.5.1.4.1.1.88.50", /* Mammography CADSR Storage */
	"1.2.840.10008.5.1.4.1.1.88.59", /* Key Object Selection Document Storage */
	"1.2.840.10008.5.1.4.1.1.88.65", /* Chest CADSR Storage */
	"1.2.840.10008.5.1.4.1.1.88.67", /* X Ray Radiation Dose SR Storage */
	"1.2.840.10008.5.1.4.1.1.88.68", /* Radiopharmaceutical Radiation Dose SR Storage */
	"1.2.840.10008.5.1.4.1.1.88.69", /* Colon CADSR Storage */
	"1.2.840.10008.5.1.4.1.1.88.70", /* Implantation Plan SR Document Storage */
	"1.2.840.10008.5.1.4.1.1.88.71", /* Acquisition Context SR Storage */
	"1.2.840.10008.5.1.4.1.1.88.72", /* Simplified Adult Echo SR Storage */
	"1.2.840.10008.5.1.4.1.1.88.73", /* Patient Radiation Dose SR Storage */
	"1.2.840.10008.5.1.4.1.1.88.74", /* Planned Imaging Agent Administration SR Storage */
	"1.2.840.10008.5.1.4.1.1.88.75", /* Performed Imaging Agent Administration SR Storage */
	"1.2.840.10008.5.1.4.1.1.88.76", /* Enhanced X Ray Radiation Dose SR Storage */
	"1.2.840.10008.5.1.4.1.1.90.1", /* Content Assessment Results Storage */
	"1.2.840.10008.5.1.4.1.1.91.1", /* Microscopy Bulk Simple Annotations Storage */
	"1.2.840.10008.5.1.4.1.1.104.1", /* Encapsulated PDF Storage */
	"1.2.840.10008.5.1.4.1.1.104.2", /* Encapsulated CDA Storage */
	"1.2.840.10008.5.1.4.1.1.104.3", /* Encapsulated STL Storage */
	"1.2.840.10008.5.1.4.1.1.104.4", /* Encapsulated OBJ Storage */
	"1.2.840.10008.5.1.4.1.1.104.5", /* Encapsulated MTL Storage */
	"1.2.840.10008.5.1.4.1.1.128", /* Positron Emission Tomography Image Storage */
	"1.2.840.10008.5.1.4.1.1.128.1", /* Legacy Converted Enhanced PET Image Storage */
	"1.2.840.10008.5.1.4.1.1.129", /* Standalone PET Curve Storage (retired) */
	"1.2.840.10008.5.1.4.1.1.130", /* Enhanced PET Image Storage */
	"1.2.840.10008.5.1.4.1.1.131", /* Basic Structured Display Storage */
	"1.2.840.10008.5.1.4.1.1.200.2", /* CT Performed Procedure Protocol Storage */
	"1.2.840.10008.5.1.4.1.1.200.8", /* XA Performed Procedure Protocol Storage */
	"1.2.840.10008.5.1.4.1.1.481.1", /* RT Image Storage */
	"1.2.840.10008.5.1.4.1.1.481.2", /* RT Dose Storage */
	"1.2.840.10008.5.1.4.1.1.481.3", /* RT Structure Set Storage */
	"1.2.840.10008.5.1.4.1.1.481.4", /* RT Beams Treatment Record Storage */
	"1.2.840.10008.5.1.4.1.1.481.5", /* RT Plan Storage */
	"1.2.840.10008.5.1.4.1.1.481.6", /* RT Brachy Treatment Record Storage */
	"1.2.840.10008.5.1.4.1.1.481.7", /* RT Treatment Summary Record Storage */
	"1.2.840.10008.5.1.4.1.1.481.8", /* RT Ion Plan Storage */
	"1.2.840.10008.5.1.4.1.1.481.9", /* RT Ion Beams Treatment Record Storage */
	"1.2.840.10008.5.1.4.1.1.481.10", /* RT Physician Intent Storage */
	"1.2.840.10008.5.1.4.1.1.481.11", /* RT Segment Annotation Storage */
	"1.2.840.10008.5.1.4.1.1.481.12", /* RT Radiation Set Storage */
	"1.2.840.10008.5.1.4.1.1.481.13", /* C Arm Photon Electron Radiation Storage */
	"1.2.840.10008.5.1.4.1.1.481.14", /* Tomotherapeutic Radiation Storage */
	"1.2.840.10008.5.1.4.1.1.481.15", /* Robotic Arm Radiation Storage */
	"1.2.840.10008.5.1.4.1.1.481.16", /* RT Radiation Record Set Storage */
	"1.2.840.10008.5.1.4.1.1.481.17", /* RT Radiation Salvage Record Storage */
	"1.2.840.10008.5.1.4.1.1.481.18", /* Tomotherapeutic Radiation Record Storage */
	"1.2.840.10008.5.1.4.1.1.481.19", /* C Arm Photon Electron Radiation Record Storage */
	"1.2.840.10008.5.1.4.1.1.481.20", /* Robotic Radiation Record Storage */
	"1.2.840.10008.5.1.4.1.1.481.21", /* RT Radiation Set Delivery Instruction Storage */
	"1.2.840.10008.5.1.4.1.1.481.22", /* RT Treatment Preparation Storage */
	"1.2.840.10008.5.1.4.34.7", /* RT Beams Delivery Instruction Storage */
	"1.2.840.10008.5.1.4.34.10", /* RT Brachy Application Setup Delivery Instruction Storage */
	/* Retired print-related storage classes, still proposed by storescu. */
	"1.2.840.10008.5.1.1.27", /* Stored Print Storage (retired) */
	"1.2.840.10008.5.1.1.29", /* Hardcopy Grayscale Image Storage (retired) */
	"1.2.840.10008.5.1.1.30", /* Hardcopy Color Image Storage (retired) */
	NULL,
};

static const char *const query_retrieve_uids[] = {
	"1.2.840.10008.5.1.4.1.2.1.1", /* Patient Root Q/R Information Model - FIND */
	"1.2.840.10008.5.1.4.1.2.1.2", /* Patient Root Q/R Information Model - MOVE */
	"1.2.840.10008.5.1.4.1.2.1.3", /* Patient Root Q/R Information Model - GET */
	"1.2.840.10008.5.1.4.1.2.2.1", /* Study Root Q/R Information Model - FIND */
	"1.2.840.10008.5.1.4.1.2.2.2", /* Study Root Q/R Information Model - MOVE */
	"1.2.840.10008.5.1.4.1.2.2.3", /* Study Root Q/R Information Model - GET */
	"1.2.840.10008.5.1.4.1.2.3.1", /* Patient/Study Only Q/R Information Model - FIND (retired) */
	"1.2.840.10008.5.1.4.1.2.3.2", /* Patient/Study Only Q/R Information Model - MOVE (retired) */
	"1.2.840.10008.5.1.4.1.2.3.3", /* Patient/Study Only Q/R Information Model - GET (retired) */
	NULL,
};

static const char *const worklist_uids[] = {
	"1.2.840.10008.5.1.4.31", /* Modality Worklist Information Model - FIND */
	NULL,
};

static const char *const mpps_uids[] = {
	"1.2.840.10008.3.1.2.3.3", /* Modality Performed Procedure Step */
	NULL,
};

static const char *const storage_commitment_uids[] = {
	"1.2.840.10008.1.20.1", /* Storage Commitment Push Model */
	NULL,
};

/* The C-STORE sub-operations of a C-GET or C-MOVE travel on storage
 * contexts, so they are allowed by `storage`, not here: a policy that
 * grants query-retrieve without storage lets a viewer search but not pull
 * images over the same association. */
static const struct cat_service services[] = {
	{ "verification", verification_uids, DIMSE_C_ECHO },
	{ "storage", storage_uids, DIMSE_C_STORE },
	{ "query-retrieve", query_retrieve_uids,
	  DIMSE_C_FIND | DIMSE_C_MOVE | DIMSE_C_GET | DIMSE_C_CANCEL },
	{ "worklist", worklist_uids, DIMSE_C_FIND | DIMSE_C_CANCEL },
	{ "mpps", mpps_uids,
	  DIMSE_N_CREATE | DIMSE_N_SET | DIMSE_N_EVENT_REPORT | DIMSE_N_GET },
	{ "storage-commitment", storage_commitment_uids,
	  DIMSE_N_ACTION | DIMSE_N_EVENT_REPORT },
};

static const struct cat_service *const service_list[] = {
	&services[0], &services[1], &services[2],
	&services[3], &services[4], &services[5], NULL,
};

struct dimse_cmd {
	uint16_t field;
	uint32_t bit;
	const char *name, *rsp;	/* rsp NULL: no response form */
};

/* Command Field values of PS3.7 Annex E; a response sets bit 15. */
static const struct dimse_cmd dimse_cmds[] = {
	{ 0x0001, DIMSE_C_STORE, "C-STORE", "C-STORE-RSP" },
	{ 0x0010, DIMSE_C_GET, "C-GET", "C-GET-RSP" },
	{ 0x0020, DIMSE_C_FIND, "C-FIND", "C-FIND-RSP" },
	{ 0x0021, DIMSE_C_MOVE, "C-MOVE", "C-MOVE-RSP" },
	{ 0x0030, DIMSE_C_ECHO, "C-ECHO", "C-ECHO-RSP" },
	{ 0x0100, DIMSE_N_EVENT_REPORT, "N-EVENT-REPORT", "N-EVENT-REPORT-RSP" },
	{ 0x0110, DIMSE_N_GET, "N-GET", "N-GET-RSP" },
	{ 0x0120, DIMSE_N_SET, "N-SET", "N-SET-RSP" },
	{ 0x0130, DIMSE_N_ACTION, "N-ACTION", "N-ACTION-RSP" },
	{ 0x0140, DIMSE_N_CREATE, "N-CREATE", "N-CREATE-RSP" },
	{ 0x0150, DIMSE_N_DELETE, "N-DELETE", "N-DELETE-RSP" },
	{ 0x0FFF, DIMSE_C_CANCEL, "C-CANCEL", NULL },
};

/* C-CANCEL has no response form: 0x8FFF is not a command. */
static const struct dimse_cmd *dimse_find(uint16_t field)
{
	uint16_t req = field & 0x7FFF;
	size_t i;

	for (i = 0; i < sizeof(dimse_cmds) / sizeof(dimse_cmds[0]); i++)
		if (dimse_cmds[i].field == req)
			return (field & 0x8000) && !dimse_cmds[i].rsp ? NULL : &dimse_cmds[i];
	return NULL;
}

uint32_t dimse_bit_of(uint16_t command_field)
{
	const struct dimse_cmd *c = dimse_find(command_field);

	return c ? c->bit : 0;
}

const char *dimse_name(uint16_t command_field)
{
	const struct dimse_cmd *c = dimse_find(command_field);

	if (!c)
		return "unknown";
	return command_field & 0x8000 ? c->rsp : c->name;
}

const char *dimse_bit_name(uint32_t bit)
{
	size_t i;

	for (i = 0; i < sizeof(dimse_cmds) / sizeof(dimse_cmds[0]); i++)
		if (dimse_cmds[i].bit == bit)
			return dimse_cmds[i].name;
	return NULL;
}

const struct cat_service *cat_service_find(const char *name)
{
	size_t i;

	for (i = 0; service_list[i]; i++)
		if (strcmp(service_list[i]->name, name) == 0)
			return service_list[i];
	return NULL;
}

const struct cat_service *const *cat_services(void)
{
	return service_list;
}
