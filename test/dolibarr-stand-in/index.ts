export { startDolibarrStandIn, type DolibarrStandIn, type DolibarrStandInOptions } from './server';
