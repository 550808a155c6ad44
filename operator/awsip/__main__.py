from awsip.cli import main

raise SystemExit(main())
