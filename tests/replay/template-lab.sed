# What a technician does to a device template (templates/*.conf), done for
# the replay lab (tests/pcap/README.md): the placeholders become the lab's
# addresses and AE titles. A case names such a policy as template:NAME.
s/192\.0\.2\.20 /10.77.1.20 /
s/192\.0\.2\.10 /10.77.1.10 /
s/192\.0\.2\.11 /10.77.1.11 /
s/SCANNER_AE/SCANNER/
s/WORKPLACE_AE/SCANNER/
s/PACS_AE/PACS/
s/RIS_AE/RIS/
